/**
 * A durable transfer between two accounts, as a workflow: lock both
 * accounts (in a fixed order, so two transfers cannot deadlock), debit,
 * credit, unlock. Each step is one message, so `query:status` answers while
 * it runs; with the `durability` facet a crash or node restart resumes it
 * at the step where it stopped, and a debit made before the crash is not
 * made again (its reply is served from the journal).
 *
 *   npx plexspaces build examples/bank/transfer-workflow.ts -o transfer_workflow.wasm
 */
import { host, WorkflowActor } from 'plexspaces/sdk';

interface Transfer {
  from: string;
  to: string;
  amount: number;
  locks: { name: string; version: string }[];
  outcome: string;
}

export default class TransferWorkflow extends WorkflowActor<Transfer> {
  readonly steps = ['lock', 'debit', 'credit', 'unlock'];

  initialData(): Transfer {
    return { from: '', to: '', amount: 0, locks: [], outcome: 'pending' };
  }

  override onStart(input: unknown, data: Transfer): void {
    const { from, to, amount } = input as { from: string; to: string; amount: number };
    if (!from || !to || from === to) throw new Error('a transfer needs two different accounts');
    if (!(amount > 0)) throw new Error('a transfer amount must be positive');
    Object.assign(data, { from, to, amount });
  }

  /** Account ids are relative to the workflow's tenant and namespace (`kind:key`). */
  private account(name: string): string {
    const self = host.selfId();
    return `${self.slice(0, self.lastIndexOf('/') + 1)}account:${name}`;
  }

  private tx(): string {
    return host.selfId().slice(host.selfId().lastIndexOf('/') + 1);
  }

  lock(data: Transfer): void {
    for (const name of [data.from, data.to].sort()) {
      const grant = host.lockAcquire(`account:${name}`, 30, 5000, this.tx());
      if (grant === null) throw new Error(`account ${name} is busy`);
      data.locks.push({ name: `account:${name}`, version: grant.version });
    }
  }

  debit(data: Transfer): void {
    const reply = host.ask<{ balance?: number; error?: string }>(this.account(data.from), 'withdraw', { tx: `${this.tx()}:debit`, amount: data.amount });
    if (reply.error !== undefined) {
      data.outcome = `refused: ${reply.error}`;
      this.releaseLocks(data);
      throw new Error(reply.error);
    }
  }

  credit(data: Transfer): void {
    const reply = host.ask<{ balance?: number; error?: string }>(this.account(data.to), 'deposit', { tx: `${this.tx()}:credit`, amount: data.amount });
    if (reply.error !== undefined) throw new Error(`credit failed: ${reply.error}`);
  }

  unlock(data: Transfer): void {
    this.releaseLocks(data);
    data.outcome = 'done';
  }

  private releaseLocks(data: Transfer): void {
    for (const lock of data.locks.splice(0)) {
      try {
        host.lockRelease(lock.name, lock.version, this.tx());
      } catch {
        // the lease ran out meanwhile: nothing of ours to release
      }
    }
  }
}
