import { InvalidArgumentError, shown } from '../errors.js';
import { scopeKey, type Scope } from './scope.js';

/** Delivers one group message to one member (the actor system's `tell`). */
export type GroupDelivery = (member: string, type: string, payload: Uint8Array, from: string) => void;

interface Group {
  /** Member → the topics it subscribed to within the group (empty: none). */
  readonly members: Map<string, Set<string>>;
}

const NAME_LIMIT = 256;

/**
 * Erlang pg-style process groups per tenant and namespace: actors join and
 * leave named groups, a broadcast reaches every member, and members may
 * subscribe to topics within a group so a `publish` reaches only those.
 *
 * Members are actor ids. The actor system calls `leaveAll` when an actor
 * exits, so a dead actor never stays a member. A group with no members
 * disappears.
 */
export class ProcessGroups {
  private readonly groups = new Map<string, Map<string, Group>>();
  /** Actor → the (scope, group) pairs it is in, so `leaveAll` needs no scan. */
  private readonly memberships = new Map<string, Set<string>>();

  constructor(private readonly deliver: GroupDelivery) {}

  join(scope: Scope, group: string, member: string, topics: readonly string[] = []): void {
    checkGroupName('group', group);
    checkGroupName('member', member);
    for (const topic of topics) checkGroupName('topic', topic);
    const byName = this.scopeGroups(scope, true)!;
    let g = byName.get(group);
    if (g === undefined) byName.set(group, (g = { members: new Map() }));
    const subscribed = g.members.get(member) ?? new Set<string>();
    for (const topic of topics) subscribed.add(topic);
    g.members.set(member, subscribed);
    let mine = this.memberships.get(member);
    if (mine === undefined) this.memberships.set(member, (mine = new Set()));
    mine.add(membershipKey(scope, group));
  }

  /** True when `member` was in the group. */
  leave(scope: Scope, group: string, member: string): boolean {
    const byName = this.scopeGroups(scope, false);
    const g = byName?.get(group);
    if (g === undefined || !g.members.delete(member)) return false;
    if (g.members.size === 0) byName!.delete(group);
    const mine = this.memberships.get(member);
    mine?.delete(membershipKey(scope, group));
    if (mine?.size === 0) this.memberships.delete(member);
    return true;
  }

  /** Removes an actor from every group in every scope (it exited). */
  leaveAll(member: string): number {
    const mine = this.memberships.get(member);
    if (mine === undefined) return 0;
    let left = 0;
    for (const key of [...mine]) {
      const cut = key.indexOf('\u0000');
      const [tenant, namespace] = key.slice(0, cut).split('/');
      if (this.leave({ tenant, namespace }, key.slice(cut + 1), member)) left++;
    }
    return left;
  }

  subscribe(scope: Scope, group: string, member: string, topic: string): void {
    checkGroupName('topic', topic);
    const subscribed = this.scopeGroups(scope, false)?.get(group)?.members.get(member);
    if (subscribed === undefined) throw new InvalidArgumentError(`${shown(member)} is not a member of group ${shown(group)}; join first`);
    subscribed.add(topic);
  }

  unsubscribe(scope: Scope, group: string, member: string, topic: string): boolean {
    return this.scopeGroups(scope, false)?.get(group)?.members.get(member)?.delete(topic) ?? false;
  }

  /** Members in join order. */
  members(scope: Scope, group: string): string[] {
    return [...(this.scopeGroups(scope, false)?.get(group)?.members.keys() ?? [])];
  }

  /** Members subscribed to `topic`. */
  subscribers(scope: Scope, group: string, topic: string): string[] {
    const g = this.scopeGroups(scope, false)?.get(group);
    if (g === undefined) return [];
    return [...g.members].filter(([, topics]) => topics.has(topic)).map(([member]) => member);
  }

  /** Group names of the scope. */
  list(scope: Scope): string[] {
    return [...(this.scopeGroups(scope, false)?.keys() ?? [])];
  }

  /** Sends to every member (the sender too, if it is one); returns how many were sent to. */
  broadcast(scope: Scope, group: string, type: string, payload: Uint8Array, from = ''): number {
    checkGroupName('group', group);
    const members = this.members(scope, group);
    for (const member of members) this.deliver(member, type, payload, from);
    return members.length;
  }

  /** Sends to the members subscribed to `topic` within the group. */
  publish(scope: Scope, group: string, topic: string, type: string, payload: Uint8Array, from = ''): number {
    checkGroupName('topic', topic);
    const members = this.subscribers(scope, group, topic);
    for (const member of members) this.deliver(member, type, payload, from);
    return members.length;
  }

  private scopeGroups(scope: Scope, create: boolean): Map<string, Group> | undefined {
    const key = scopeKey(scope);
    let byName = this.groups.get(key);
    if (byName === undefined && create) this.groups.set(key, (byName = new Map()));
    return byName;
  }
}

function membershipKey(scope: Scope, group: string): string {
  return `${scopeKey(scope)}\u0000${group}`;
}

/** A group, member or topic name: 1–256 characters (every store checks the same way). */
export function checkGroupName(what: string, name: string): void {
  if (typeof name !== 'string' || name.length === 0 || name.length > NAME_LIMIT) throw new InvalidArgumentError(`a ${what} name must be 1–${NAME_LIMIT} characters, got ${shown(name)}`);
}
