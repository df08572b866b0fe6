/** An application manifest with one non-durable child `id` running `module` (a file of the bundle). */
export function singleChildManifest(id: string, module: string): string {
  return `[supervisor]\nstrategy = "one_for_one"\n[[supervisor.children]]\nid = "${id}"\nmodule = "${module}"\ndurable = false\n`;
}
