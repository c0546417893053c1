import { createPlan, DEFAULT_PLAN_OPTIONS } from '@redis-cluster-kit/plan';
import { clusterPicture } from './view';

// The picture read back: the Mermaid diagram and the table say what the plan says.
describe('clusterPicture', () => {
  it.each([
    [3, 1],
    [5, 2],
    [1, 0],
  ])(
    '%i masters x %i replicas: a box per shard with its slot range, each replica pointing to its master',
    (masters, replicas) => {
      const plan = createPlan({ ...DEFAULT_PLAN_OPTIONS, masters, replicas });
      const { mermaid, table } = clusterPicture(plan, { title: 'host port', of: (n) => `127.0.0.1:${n.port}` });

      expect(mermaid[0]).toBe('flowchart LR');
      // Subgraphs: one per shard, titled by its range, holding its master and its replicas.
      const text = mermaid.join('\n');
      const shards = [...text.matchAll(/^ {2}subgraph shard(\d+) \["slots (\d+)-(\d+)"\]\n([\s\S]*?)^ {2}end$/gm)];
      expect(shards.map((m) => [Number(m[2]), Number(m[3])])).toEqual(
        plan.shards.map((s) => [s.slots.start, s.slots.end]),
      );
      for (const [i, shard] of plan.shards.entries()) {
        const body = shards[i]![4]!;
        const boxes = [...body.matchAll(/(n\d+)\["([^<]+)<br\/>(master|replica)<br\/>([^"]+)"\]/g)].map((m) => m[2]);
        const own = [shard.master, ...plan.nodes.filter((n) => n.masterName === shard.master.name)];
        expect(boxes).toEqual(own.map((n) => n.name));
        // Every replica's edge goes to its own master's id.
        const edges = [...body.matchAll(/(n\d+)\[[^\]]*\] -- replica of --> (n\d+)/g)];
        expect(edges.map((m) => [m[1], m[2]])).toEqual(
          own.slice(1).map((r) => [`n${r.index + 1}`, `n${shard.master.index + 1}`]),
        );
        expect(body).toContain(`127.0.0.1:${shard.master.port}`);
      }
      // Mermaid ids only (node names have '-', which Mermaid reads as an edge) outside quotes.
      expect(text.replace(/"[^"]*"/g, '')).not.toMatch(/redis-node/);

      // The table: a header, a rule, one row per node.
      expect(table).toHaveLength(plan.nodes.length + 2);
      expect(table.slice(2).map((r) => r.split(' | ')[0])).toEqual(plan.nodes.map((n) => `| \`${n.name}\``));
      for (const n of plan.nodes) {
        const row = table.find((r) => r.startsWith(`| \`${n.name}\` |`))!;
        expect(row).toContain(n.slots ? ` ${n.slots.start}-${n.slots.end} ` : `(replica of \`${n.masterName}\`)`);
        expect(row).toContain(` 127.0.0.1:${n.port} | ${n.busPort} |`);
      }
    },
  );
});
