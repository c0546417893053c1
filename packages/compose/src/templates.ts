import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Handlebars from 'handlebars';

/**
 * Where the templates are: beside this module, `src/templates` when it runs from `src/` (tests)
 * and `dist/templates` when built (the package's build copies them there: no `src/` at run time).
 */
export const TEMPLATES_DIR = join(__dirname, 'templates');
/** Templates shared by several outputs, used as `{{> name}}` (`partials/<name>.sh.hbs`). */
export const PARTIALS_DIR = join(TEMPLATES_DIR, 'partials');

/** A compiled template: context in, text out. */
export type Template = (context: unknown) => string;

let instance: typeof Handlebars | undefined;
const compiled = new Map<string, Template>();

/**
 * One private Handlebars instance for every output, with the partials registered once (never
 * the global runtime). Partials are compiled with the options of the template that uses them.
 */
function handlebars(): typeof Handlebars {
  if (!instance) {
    const hbs = Handlebars.create();
    for (const file of readdirSync(PARTIALS_DIR).sort()) {
      if (file.endsWith('.hbs'))
        hbs.registerPartial(file.replace(/\..*$/, ''), readFileSync(join(PARTIALS_DIR, file), 'utf8'));
    }
    instance = hbs;
  }
  return instance;
}

/**
 * The template at `path` (relative to {@link TEMPLATES_DIR}), compiled once with no escaping
 * (values are validated or quoted in TypeScript) and strict lookups (a missing value throws).
 */
export function template(path: string): Template {
  let t = compiled.get(path);
  if (!t) {
    t = handlebars().compile(readFileSync(join(TEMPLATES_DIR, path), 'utf8'), { noEscape: true, strict: true });
    compiled.set(path, t);
  }
  return t;
}
