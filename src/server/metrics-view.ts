/**
 * What a tenant's token may read of the node's Prometheus text: the series
 * labelled with its own tenant, and the HELP/TYPE lines of their families.
 * Node-wide figures (process, workers, totals over every tenant) need the
 * operator role: they say how busy other tenants keep the node.
 *
 * Works on the exposition text (one sample per line, `name{labels} value`),
 * so every metric that carries a `tenant` label is covered without each
 * one opting in.
 */
export function metricsForTenant(text: string, tenant: string): string {
  const own = `tenant="${escapeLabelValue(tenant)}"`;
  const out: string[] = [];
  let header: string[] = [];
  for (const line of text.split('\n')) {
    if (line.startsWith('# HELP ') || line.startsWith('# TYPE ')) {
      // A new family starts with its HELP line; its header is written only if one of its samples is the tenant's.
      if (line.startsWith('# HELP ')) header = [];
      header.push(line);
      continue;
    }
    if (line === '' || !hasLabel(line, own)) continue;
    if (header.length > 0) {
      out.push(...header);
      header = [];
    }
    out.push(line);
  }
  return out.length === 0 ? '' : `${out.join('\n')}\n`;
}

/** Whether the sample line's label set holds exactly `label` (not, say, `subtenant="x"`). */
function hasLabel(line: string, label: string): boolean {
  const open = line.indexOf('{');
  if (open < 0) return false;
  const at = line.indexOf(label, open);
  return at > 0 && (line[at - 1] === '{' || line[at - 1] === ',');
}

/** Prometheus label-value escaping (backslash, quote, newline). */
function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}
