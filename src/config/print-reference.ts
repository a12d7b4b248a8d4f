// Prints the README configuration table: `npx tsx src/config/print-reference.ts`, then paste
// it between the `<!-- env:start -->` and `<!-- env:end -->` markers in README.md.
import { renderEnvReference } from './reference.ts';

process.stdout.write(`${renderEnvReference()}\n`);
