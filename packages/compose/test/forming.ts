import type { ClusterPlan } from '@redis-cluster-kit/plan';

/**
 * The shared forming code (templates/partials/form-*.sh.hbs), as rendered into a script, forms
 * exactly the planned cluster: each master gets its slot range and epoch (as soon as it answers), each replica follows
 * its planned master, every node is discovered (a followed master's id kept), met and checked. Holds for the Compose target's
 * init-cluster.sh and the local target's cluster.sh alike.
 */
export function expectFormsPlan(plan: ClusterPlan, script: string): void {
  const number = (name: string) => plan.nodes.find((n) => n.name === name)!.index + 1;
  for (const shard of plan.shards) {
    const m = shard.master;
    expect(script).toContain(
      `\n      if try_slots ${m.name} ${m.port} ${shard.slots.start} ${shard.slots.end} ${shard.index + 1}; then slots${number(m.name)}=given;`,
    );
    for (const r of shard.replicas) {
      expect(script).toContain(
        `\n  replicate ${r.name} "$ip${number(r.name)}" ${r.port} ${m.name} "$ip${number(m.name)}" "$id${number(m.name)}"\n`,
      );
    }
  }
  expect(script.match(/^ {6}if try_slots /gm)).toHaveLength(plan.options.masters);
  // Every master that shares its slots reaches every other node.
  expect(script.match(/^ {2}share_from /gm)).toHaveLength(plan.options.masters);
  expect(script).toMatch(/\nslots_all\ndiscover_all\nmeet_all\nreplicate_all\n/);
  expect(script.match(/^ {2}replicate /gm) ?? []).toHaveLength(plan.options.masters * plan.options.replicas);
  for (const node of plan.nodes) {
    expect(script).toContain(`  discover ${node.name} ${node.port}\n`);
    expect(script).toContain(`"$ip${node.index + 1} ${node.port} ${node.busPort}"`);
    expect(script).toContain(`  check ${node.name} "$ip${node.index + 1}" ${node.port} ${node.role} || return 1\n`);
  }
  // discover_all keeps the node id of exactly the masters that replicas follow (only replicate reads one).
  const kept = [...script.matchAll(/^ {2}id(\d+)=\$id$/gm)].map((m) => Number(m[1])).sort((a, b) => a - b);
  expect(kept).toEqual(plan.options.replicas > 0 ? plan.shards.map((s) => s.master.index + 1) : []);
  expect(script).toContain(`NODE_COUNT=${plan.nodes.length}\n`);
}
