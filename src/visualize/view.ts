// From the store to a View: gather the run the way `inspect` does, scrub known secrets, build
// the overlay, lay the machine out with it. The one path the file output and the server share.
import { bootMachine } from '../../machines/boot.ts';
import { gatherReport, type ReadStore } from '../inspect/gather.ts';
import type { Redactor } from '../log/redactor.ts';
import type { CriticalLink } from '../inspect/critical-path.ts';
import { toDot } from './dot.ts';
import { renderTimeline } from './gantt.ts';
import { extractGraph, type MachineGraph } from './graph.ts';
import { renderHeader, type View } from './html.ts';
import { buildOverlay, type OverlayInput } from './overlay.ts';
import { layoutSvg } from './layout.ts';

let bootGraph: MachineGraph | null = null;

/** The boot machine's graph (the definition does not change while the process runs). */
export function bootMachineGraph(): MachineGraph {
  bootGraph ??= extractGraph(bootMachine);
  return bootGraph;
}

/** Why: a pure step from run data to the page's parts, testable without a store. */
export async function buildView(
  input: OverlayInput & { criticalPath?: CriticalLink[] },
  graph: MachineGraph = bootMachineGraph(),
): Promise<View> {
  const overlay = buildOverlay(graph, input);
  return {
    svg: await layoutSvg(toDot(graph, overlay)),
    header: renderHeader(overlay),
    overlay,
    timeline: renderTimeline(input),
  };
}

/** Read the volume's latest run (never writes, never takes the boot lock) and render it. */
export async function readView(store: ReadStore, volumeId: string | null, redactor: Redactor): Promise<View> {
  const report = await gatherReport(store, volumeId, false);
  // Config values are not drawn at all; free-text errors still go through the redactor.
  const { config: _config, ...rest } = report;
  return buildView(redactor.redactDeep(rest));
}
