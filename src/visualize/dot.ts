// The machine graph (and, when given, the run's overlay) as Graphviz DOT: compound and parallel
// states become clusters, atomic and final states nodes, and every SVG element gets a stable id
// (`state:<state id>`, `edge:<n>`, `init:<state id>`) and classes (`state step failed current` …)
// that the page, its live updates and the browser tests look up.
import type { GraphEdge, GraphState, MachineGraph } from './graph.ts';
import type { Overlay, StateStatus, StateView, StepView } from './overlay.ts';

const FONT = 'Helvetica,Arial,sans-serif';

/** Fill, border and border width per status: red for failed is the one thing to see at a glance. */
export const STATUS_STYLE: Record<StateStatus, { fill: string; border: string; pen: number; text: string }> =
  {
    done: { fill: '#dcf2dc', border: '#2e7d32', pen: 1.5, text: '#1b5e20' },
    current: { fill: '#fff1b8', border: '#d39e00', pen: 3, text: '#6d4c00' },
    failed: { fill: '#ffd4d4', border: '#c62828', pen: 3.5, text: '#b71c1c' },
    degraded: { fill: '#ffe3c2', border: '#e65100', pen: 2.5, text: '#bf360c' },
    skipped: { fill: '#f0f0f0', border: '#9e9e9e', pen: 1, text: '#616161' },
    pending: { fill: '#ffffff', border: '#b0b7bd', pen: 1, text: '#455a64' },
  };

const EDGE_COLOR: Record<GraphEdge['tone'], string> = {
  success: '#2e7d32',
  error: '#c62828',
  retry: '#e65100',
  wake: '#e65100',
  initial: '#263238',
  flow: '#455a64',
};

function q(text: string): string {
  return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

function html(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

export function formatMs(ms: number): string {
  if (ms >= 60_000) return `${(ms / 60_000).toFixed(1)} min`;
  return ms >= 1000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`;
}

const clusterName = (id: string) => `cluster_${id}`;

/** The second line of a step's label: status, attempts and time spent. */
export function stepCaption(view: StepView | undefined): string {
  if (!view) return '';
  const status =
    view.status === 'current' ? (view.retrying ? 'RETRYING' : 'RUNNING') : view.status.toUpperCase();
  const parts = [status];
  if (view.attempts > 0) parts.push(`${view.attempts} attempt${view.attempts === 1 ? '' : 's'}`);
  if (view.attempts > 0) parts.push(formatMs(view.durationMs));
  return parts.join(' · ');
}

function classes(state: GraphState, view: StateView | undefined): string {
  const list = ['state', state.role, state.kind];
  if (view) {
    list.push(view.status);
    if (view.current) list.push('is-current');
    if (view.visited) list.push('visited');
  }
  return list.join(' ');
}

/** Why: Graphviz lays the machine out; the DOT text is the one place the drawing is decided. */
export function toDot(graph: MachineGraph, overlay: Overlay | null = null): string {
  const byId = new Map(graph.states.map((s) => [s.id, s]));
  const isCluster = (s: GraphState) => s.children.length > 0;
  const view = (id: string) => overlay?.states[id];
  const stepView = (s: GraphState) => (s.step && overlay ? overlay.steps[s.step] : undefined);

  /** The atomic state an edge to or from a cluster is drawn at (Graphviz clips it at the border). */
  const anchor = (id: string, end: 'source' | 'target'): string => {
    const s = byId.get(id)!;
    if (!isCluster(s)) return s.id;
    const initial = graph.edges.find((e) => e.kind === 'initial' && e.source === s.id);
    if (end === 'source') {
      const final = s.children.map((c) => byId.get(c)!).find((c) => c.kind === 'final');
      if (final) return anchor(final.id, end);
    }
    return anchor(initial?.target ?? s.children[0]!, end);
  };

  const lines: string[] = [];
  const out = (depth: number, line: string) => lines.push(`${'  '.repeat(depth)}${line}`);
  out(0, `digraph ${q(graph.machineId)} {`);
  out(1, `compound=true; newrank=true; rankdir=TB; nodesep=0.25; ranksep=0.32; fontname=${q(FONT)};`);
  out(1, `bgcolor="#ffffff"; pad=0.2; labeljust=l;`);
  out(
    1,
    `node [fontname=${q(FONT)}, fontsize=10, shape=box, style="rounded,filled", height=0.3, margin="0.1,0.03"];`,
  );
  out(1, `edge [fontname=${q(FONT)}, fontsize=8, arrowsize=0.6, penwidth=0.8];`);

  const drawState = (s: GraphState, depth: number) => {
    const v = view(s.id);
    const st = STATUS_STYLE[v?.status ?? 'pending'];
    if (isCluster(s)) {
      out(depth, `subgraph ${q(clusterName(s.id))} {`);
      out(depth + 1, `id=${q(`state:${s.id}`)}; class=${q(classes(s, v))};`);
      if (s.role === 'step') {
        const caption = stepCaption(stepView(s));
        const bold = v?.status === 'failed' ? `${html(s.key)} — FAILED` : html(s.key);
        out(
          depth + 1,
          `label=<<b>${bold}</b>${caption && v?.status !== 'failed' ? `<br/><font point-size="9">${html(caption)}</font>` : caption ? `<br/><font point-size="9">${html(caption.replace(/^FAILED \u00b7 /, ''))}</font>` : ''}>;`,
        );
        out(
          depth + 1,
          `style="rounded,filled"; fillcolor=${q(st.fill)}; color=${q(st.border)}; penwidth=${st.pen}; fontcolor=${q(st.text)}; fontsize=11;`,
        );
      } else {
        const title =
          s.role === 'root' ? `${s.key}${graph.version ? ` (machine v${graph.version})` : ''}` : s.key;
        const parallel = s.kind === 'parallel' ? ' (parallel)' : '';
        out(depth + 1, `label=<<b>${html(title)}</b>${parallel}>;`);
        const dashed = s.kind === 'parallel' ? ',dashed' : '';
        const border = v && v.status !== 'pending' ? st.border : '#90a4ae';
        out(
          depth + 1,
          `style="rounded${dashed}"; color=${q(border)}; penwidth=${v?.status === 'failed' ? 2 : 1}; fontcolor="#263238"; fontsize=12;`,
        );
      }
      const initial = graph.edges.find((e) => e.kind === 'initial' && e.source === s.id);
      if (initial) {
        out(
          depth + 1,
          `${q(`init:${s.id}`)} [id=${q(`init:${s.id}`)}, class="initial", shape=point, width=0.09, style=filled, fillcolor="#263238", color="#263238", label=""];`,
        );
      }
      for (const child of s.children) drawState(byId.get(child)!, depth + 1);
      // A step reads left to right on one rank (• → run ⇄ backoff), so the steps stack downwards.
      if (s.role === 'step') {
        const row = [...(initial ? [`init:${s.id}`] : []), ...s.children].map(q).join('; ');
        out(depth + 1, `{ rank=same; ${row}; }`);
      }
      out(depth, '}');
      return;
    }
    const isFailedEnd = s.role === 'final' && s.key === 'failed' && v?.status === 'failed';
    let label = html(s.key);
    if (isFailedEnd && overlay?.run?.failure)
      label = `<b>FAILED</b><br/>at ${html(overlay.run.failure.step)}`;
    else if (s.role === 'final' && s.parent === graph.root) label = `<b>${html(s.key)}</b>`;
    const small = s.role === 'run' || s.role === 'backoff' || (s.role === 'final' && s.parent !== graph.root);
    const attrs = [
      `id=${q(`state:${s.id}`)}`,
      `class=${q(classes(s, v))}`,
      `label=<${label}>`,
      `fillcolor=${q(isFailedEnd ? '#c62828' : st.fill)}`,
      `color=${q(st.border)}`,
      `penwidth=${st.pen}`,
      `fontcolor=${q(isFailedEnd ? '#ffffff' : st.text)}`,
    ];
    if (small) attrs.push('fontsize=9', 'height=0.22', 'margin="0.06,0.02"');
    if (s.kind === 'final') attrs.push('peripheries=2');
    if (s.role === 'final' && s.parent === graph.root) attrs.push('fontsize=12', 'margin="0.2,0.06"');
    if (s.role === 'backoff') attrs.push('style="rounded,filled,dashed"');
    out(depth, `${q(s.id)} [${attrs.join(', ')}];`);
  };
  drawState(byId.get(graph.root)!, 1);
  // The machine's ends side by side at the bottom.
  const ends = graph.states.filter((s) => s.role === 'final' && s.parent === graph.root);
  if (ends.length > 1) out(1, `{ rank=same; ${ends.map((s) => q(s.id)).join('; ')}; }`);

  const taken = new Set(overlay?.takenEdges ?? []);
  graph.edges.forEach((e, index) => {
    const tail = e.kind === 'initial' ? `init:${e.source}` : anchor(e.source, 'source');
    const head = anchor(e.target, 'target');
    const attrs = [`id=${q(`edge:${index}`)}`];
    const cls = ['transition', e.kind, e.tone];
    if (taken.has(e.id)) cls.push('taken');
    attrs.push(`class=${q(cls.join(' '))}`);
    const sourceState = byId.get(e.source)!;
    if (e.kind !== 'initial' && isCluster(sourceState)) attrs.push(`ltail=${q(clusterName(e.source))}`);
    if (isCluster(byId.get(e.target)!)) attrs.push(`lhead=${q(clusterName(e.target))}`);
    const wasTaken = taken.has(e.id);
    let color = EDGE_COLOR[e.tone];
    if (overlay && !wasTaken) color = `${color}55`;
    attrs.push(`color=${q(color)}`, `fontcolor=${q(color)}`);
    if (wasTaken) attrs.push('penwidth=2.2');
    if (e.tone === 'error' || e.tone === 'retry' || e.tone === 'wake') attrs.push('style=dashed');
    // The many "any step failed → failed" edges would stretch the layout: they do not rank.
    if (e.tone === 'error' && byId.get(e.target)?.role === 'final') attrs.push('constraint=false');
    if (e.label && e.kind !== 'initial' && !(e.tone === 'error' && !e.guard)) {
      attrs.push(`label=${q(e.label)}`);
    }
    if (e.kind === 'always') attrs.push('arrowhead=vee');
    out(1, `${q(tail)} -> ${q(head)} [${attrs.join(', ')}];`);
  });
  out(0, '}');
  return `${lines.join('\n')}\n`;
}
