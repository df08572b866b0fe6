/**
 * Deploys a module application through a node's HTTP route, as a user's
 * `curl -F` does (`POST /api/v1/applications/deploy`), and resolves with
 * the status and the JSON reply.
 */
export async function deployModule(
  http: string,
  applicationId: string,
  wasm: Uint8Array,
  options: { name?: string; durable?: boolean; placement?: string } = {},
): Promise<{ status: number; body: Record<string, unknown> }> {
  const form = new FormData();
  form.set('application_id', applicationId);
  form.set('name', options.name ?? applicationId);
  form.set('version', '1.0.0');
  if (options.durable !== undefined) form.set('durable', String(options.durable));
  if (options.placement !== undefined) form.set('placement', options.placement);
  form.set('wasm_file', new Blob([Buffer.from(wasm)]), 'actor.wasm');
  const response = await fetch(`${http}/api/v1/applications/deploy`, { method: 'POST', body: form });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}
