// Layout by Graphviz's `dot`, compiled to WebAssembly (@hpcc-js/wasm-graphviz): runs in-process,
// offline, in tens of milliseconds, and returns an SVG with the ids and classes the DOT set.
import { Graphviz } from '@hpcc-js/wasm-graphviz';
import { InternalError } from '../errors.ts';

let loaded: Promise<Graphviz> | null = null;

/** Why: loading the WASM module takes longer than a layout; do it once per process. */
function graphviz(): Promise<Graphviz> {
  loaded ??= Graphviz.load();
  return loaded;
}

/** Lay out DOT text and return the SVG element (without the XML prolog, ready to inline). */
export async function layoutSvg(dot: string): Promise<string> {
  const gv = await graphviz();
  let svg: string;
  try {
    svg = gv.dot(dot, 'svg');
  } catch (error) {
    throw new InternalError(`Graphviz could not lay out the boot machine: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const start = svg.indexOf('<svg');
  if (start < 0) throw new InternalError('Graphviz returned no <svg> element for the boot machine');
  return svg.slice(start).replace(/<!--[\s\S]*?-->\n?/g, '');
}
