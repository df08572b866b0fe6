import { InvalidArgumentError, shown } from '../errors.js';

/**
 * A yes/no field of a multipart form: `true` or `false` (as `-F durable=false`
 * sends it), absent or empty for the default. Anything else is refused, so a
 * typo is never read as the default.
 */
export function optionalBooleanField(form: FormData, name: string): boolean | undefined {
  const value = form.get(name);
  if (value === null || value === '') return undefined;
  if (value === 'true') return true;
  if (value === 'false') return false;
  throw new InvalidArgumentError(`${name} must be true or false, got ${typeof value === 'string' ? shown(value) : 'a file'}`);
}
