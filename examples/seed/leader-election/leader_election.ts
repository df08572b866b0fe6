/**
 * The first article's leader election (LeaderElection, Python there), in
 * TypeScript: candidates call `try_lead`, which takes the lease-based lock
 * `leader` with the article's own host call,
 *
 *   lock_acquire("", "leader-election", holder_id, "leader", 30, 0)
 *
 * — tenant `""` is the caller's tenant, and `"leader-election"` a lock
 * namespace inside the caller's tenant and namespace, so every candidate of
 * one scope contends for the same lock (docs/coordination.md, "Locks from
 * an actor"). A timeout of 0 means: answer at once. The leader keeps the
 * lock by calling `try_lead` again before its lease ends; when it stops (it
 * crashed, or hangs), the lease lapses and the next candidate to try wins.
 * `resign` gives the lock up at once.
 *
 *   plexspaces build examples/seed/leader-election/leader_election.ts -o leader_election.wasm
 */
import { PlexSpacesActor, u64 } from '@plexspaces/sdk';
import { lockAcquire, lockRelease } from 'plexspaces:simple-actor/host@0.1.0';

const LOCK_NAMESPACE = 'leader-election';
const LOCK = 'leader';

interface ElectionState {
  candidate_id: string;
  /** The fencing version of the last grant; '' when this candidate never led. */
  lock_version: string;
}

export class LeaderElection extends PlexSpacesActor<ElectionState> {
  getDefaultState(): ElectionState {
    return { candidate_id: '', lock_version: '' };
  }

  /** Takes (or, for the leader, renews) the lock for `lease_secs` (30 unless given); `candidate_id` is kept for the next tries. */
  onTryLead({ candidate_id, lease_secs = 30 }: { candidate_id?: string; lease_secs?: number }) {
    if (!Number.isSafeInteger(lease_secs) || lease_secs < 1) return { error: `lease_secs must be a whole number of seconds ≥ 1, got ${JSON.stringify(lease_secs)}` };
    if (candidate_id) this.state.candidate_id = candidate_id;
    const holderId = this.state.candidate_id || this.host.selfId();
    const result = lockAcquire('', LOCK_NAMESPACE, holderId, LOCK, lease_secs, u64(0));
    if (result.startsWith('ERROR')) return { leader: false };
    this.state.lock_version = (JSON.parse(result) as { version: string }).version;
    return { leader: true, candidate_id: holderId };
  }

  /** Gives the lock up. A lease that lapsed meanwhile is refused (its fencing version is stale): someone else may lead. */
  onResign() {
    if (this.state.lock_version === '') return { resigned: false, error: 'not_leader' };
    const result = lockRelease(LOCK, '', LOCK_NAMESPACE, this.state.candidate_id, this.state.lock_version);
    this.state.lock_version = '';
    if (result.startsWith('ERROR PLEX_ERR_LOCK_FENCED')) return { resigned: false, error: 'lease_lapsed' };
    if (result.startsWith('ERROR')) return { resigned: false, error: result };
    return { resigned: true, candidate_id: this.state.candidate_id };
  }
}
