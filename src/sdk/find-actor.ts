import type * as TS from 'typescript';
import { InvalidModuleError } from '../errors.js';

/** What `plexspaces build` wraps: the module's own `actor` bridge, or one exported class. */
export type ActorExport = { readonly kind: 'bridge' } | { readonly kind: 'class'; readonly exportName: string };

/**
 * The SDK's actor base classes. A class counts as an actor class when its
 * `extends` chain, followed through the file's own classes, ends at one of
 * these names imported from anywhere (the SDK answers to several import
 * paths: `@plexspaces/sdk`, `plexspaces/sdk`, a relative path in this repo).
 */
const SDK_BASES = new Set(['PlexSpacesActor', 'GenServerActor', 'EventHandlerActor', 'FsmActor', 'WorkflowActor']);

/**
 * Finds what to export from an actor module, by reading its syntax (no type
 * information, so it works with `--no-check` and costs milliseconds):
 *
 * 1. an exported `actor` (the articles' hand-written bridge) wins;
 * 2. else the default export, when it is an actor class;
 * 3. else the single exported actor class (several: an error naming them);
 * 4. else a default export that may be one, such as a subclass of the
 *    user's own base class in another file (checked when the actor starts);
 *    a class of this file that extends nothing is refused here.
 */
export function findActorExport(ts: typeof TS, fileName: string, text: string): ActorExport {
  const file = ts.createSourceFile(fileName, text, ts.ScriptTarget.ES2022, false, ts.ScriptKind.TS);
  const bases = new Map<string, string | undefined>(); // local class → the name it extends
  const imported = new Map<string, string>(); // local name → imported name
  const exported = new Map<string, string | undefined>(); // export name → local name (undefined: not a local binding)
  const has = (node: TS.Node, kind: TS.SyntaxKind) => (ts.canHaveModifiers(node) ? ts.getModifiers(node) : undefined)?.some((m) => m.kind === kind) ?? false;

  for (const statement of file.statements) {
    if (ts.isImportDeclaration(statement)) {
      const bindings = statement.importClause?.namedBindings;
      if (bindings && ts.isNamedImports(bindings)) {
        for (const element of bindings.elements) imported.set(element.name.text, (element.propertyName ?? element.name).text);
      }
    } else if (ts.isClassDeclaration(statement)) {
      const local = statement.name?.text ?? '*default*';
      const heritage = statement.heritageClauses?.find((clause) => clause.token === ts.SyntaxKind.ExtendsKeyword)?.types[0]?.expression;
      // `extends sdk.PlexSpacesActor` (a namespace import) counts by its last name.
      const base = heritage && ts.isIdentifier(heritage) ? heritage.text : heritage && ts.isPropertyAccessExpression(heritage) ? heritage.name.text : undefined;
      bases.set(local, base);
      if (has(statement, ts.SyntaxKind.ExportKeyword)) exported.set(has(statement, ts.SyntaxKind.DefaultKeyword) ? 'default' : local, local);
    } else if (ts.isExportAssignment(statement) && !statement.isExportEquals) {
      exported.set('default', ts.isIdentifier(statement.expression) ? statement.expression.text : undefined);
    } else if (ts.isVariableStatement(statement) && has(statement, ts.SyntaxKind.ExportKeyword)) {
      for (const declaration of statement.declarationList.declarations) {
        if (ts.isIdentifier(declaration.name)) exported.set(declaration.name.text, undefined);
      }
    } else if (ts.isExportDeclaration(statement) && statement.exportClause && ts.isNamedExports(statement.exportClause)) {
      for (const element of statement.exportClause.elements) {
        exported.set(element.name.text, statement.moduleSpecifier ? undefined : (element.propertyName ?? element.name).text);
      }
    }
  }

  const isActorClass = (local: string | undefined, seen = new Set<string>()): boolean => {
    if (local === undefined || !bases.has(local) || seen.has(local)) return false;
    seen.add(local);
    const base = bases.get(local);
    if (base === undefined) return false;
    if (bases.has(base)) return isActorClass(base, seen);
    return SDK_BASES.has(imported.get(base) ?? base);
  };

  if (exported.has('actor')) return { kind: 'bridge' };
  if (isActorClass(exported.get('default'))) return { kind: 'class', exportName: 'default' };
  const classes = [...exported].filter(([name, local]) => name !== 'default' && isActorClass(local)).map(([name]) => name);
  if (classes.length === 1) return { kind: 'class', exportName: classes[0] };
  if (classes.length > 1) {
    throw new InvalidModuleError(
      `${fileName} exports several PlexSpacesActor subclasses (${classes.join(', ')}): make the actor the default export, or export an \`actor\` bridge`,
    );
  }
  if (exported.has('default')) {
    const local = exported.get('default');
    // A class of this file that extends nothing cannot be an actor; one extending a class from elsewhere may be.
    if (local !== undefined && bases.has(local) && bases.get(local) === undefined) {
      throw new InvalidModuleError(`${fileName}: the default export ${local === '*default*' ? '(an anonymous class)' : local} is not a PlexSpacesActor subclass, and no exported class is`);
    }
    return { kind: 'class', exportName: 'default' };
  }
  throw new InvalidModuleError(
    `${fileName} exports no actor: export a PlexSpacesActor subclass (default or named), or an \`actor\` object with init, handle, getState and setState`,
  );
}
