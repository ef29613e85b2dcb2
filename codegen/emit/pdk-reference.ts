/**
 * Emits `generated/PDK.md`: the PDK reference for plugin authors — per module, each function's
 * client name, result type, phases, Kong version range and the quirks that matter over MsgPack.
 *
 * For `kong.request.get_header` it writes the row
 * `| kong.request.get_header | getHeader(name) | string \| undefined | rewrite, access, … | … |`.
 */
import type { IdlModel, PdkFunctionModel } from '../idl/model.js';
import { toTs } from '../idl/type-expr.js';
import { header, render } from './common.js';
import { versionRange } from './pdk-client.js';

function cell(s: string): string {
  return s.replace(/\|/g, '\\|');
}

function notes(f: PdkFunctionModel): string {
  const n: string[] = [];
  if (!f.usable) n.push(`not exposed: ${f.unusableReasons.join('; ')}`);
  if (f.neverReturns) n.push('ends the request');
  // A result fix raises on the nil before Kong could drop the error (see the note of the function).
  if (f.nilErr) n.push(f.resultFix ? '**raises on nil**' : '**nil on 3.x**');
  if (f.resultFix === 'raw_bytes') n.push('raw bytes (`Buffer`)');
  if (f.resultFix === 'multimap') n.push('multimap');
  if (f.logPhaseSaved) n.push('log phase: saved data');
  if (f.kind === 'rpc_only') n.push('plugin-server API only');
  for (const e of f.effects) n.push(e);
  return cell(n.join('; '));
}

/** `generated/PDK.md`. */
export function emitPdkReference(idl: IdlModel): string {
  const byModule = new Map<string, PdkFunctionModel[]>();
  for (const f of [...idl.functions].sort((a, b) => a.name.localeCompare(b.name))) {
    const list = byModule.get(f.module) ?? [];
    list.push(f);
    byModule.set(f.module, list);
  }
  return render('pdk-reference', {
    header: header([idl.files.pdk, ...(idl.files.overrides ? [idl.files.overrides] : [])], 'json'),
    kongVersion: idl.kong.version,
    tracked: idl.kong.tracked.join(', '),
    total: idl.functions.length,
    exposed: idl.functions.filter((f) => f.usable).length,
    notExposed: idl.functions.filter((f) => !f.usable).length,
    modules: [...byModule].map(([path, fns]) => ({
      path,
      functions: fns.map((f) => ({
        name: f.name,
        client: f.usable
          ? `\`${f.camel}(${f.params
              .filter((p) => p.sendable)
              .map((p) => (p.vararg ? '...args' : `${p.ts}${p.optional ? '?' : ''}`))
              .join(', ')})\``
          : '—',
        result: cell(`\`${f.neverReturns ? 'void' : toTs(f.result)}\``),
        phases: f.externalPhases ? f.externalPhases.join(', ') || '—' : 'any (undocumented)',
        range: versionRange(idl, f.since, f.until).replace(/^Kong /, ''),
        notes: notes(f),
      })),
    })),
  }).replace(/\n{3,}/g, '\n\n');
}
