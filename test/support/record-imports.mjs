// Module hooks (node:module register) for test/e2e/optional-modules.test.ts: every module URL
// the process resolves through `import` is appended to the file given as `data.file`.
import { appendFileSync } from 'node:fs';

let file;

export function initialize(data) {
  file = data.file;
}

export async function resolve(specifier, context, nextResolve) {
  const result = await nextResolve(specifier, context);
  appendFileSync(file, `${result.url}\n`);
  return result;
}
