/**
 * The second article's durable bank account (Python there, with
 * `@actor(facets=["durability"])`), in TypeScript. Nothing in the code asks
 * for durability: an application's actors are durable unless it is deployed
 * with durable=false, so every deposit is journaled and the state comes
 * back after the node is killed (docs/applications.md).
 *
 *   plexspaces build examples/seed/durable-bank/bank_account.ts -o bank_account.wasm
 */
import { PlexSpacesActor } from '@plexspaces/sdk';

interface Transaction {
  type: 'deposit' | 'withdraw';
  amount: number;
  balance_after: number;
}

interface Account {
  balance: number;
  transactions: Transaction[];
}

export class BankAccount extends PlexSpacesActor<Account> {
  getDefaultState(): Account {
    return { balance: 0, transactions: [] };
  }

  onDeposit({ amount = 0 }: { amount?: number }) {
    if (!Number.isFinite(amount) || amount < 0) return { error: `amount must be a number ≥ 0, got ${JSON.stringify(amount)}` };
    this.state.balance += amount;
    this.state.transactions.push({ type: 'deposit', amount, balance_after: this.state.balance });
    return { status: 'ok', balance: this.state.balance };
  }

  onWithdraw({ amount = 0 }: { amount?: number }) {
    if (!Number.isFinite(amount) || amount < 0) return { error: `amount must be a number ≥ 0, got ${JSON.stringify(amount)}` };
    if (amount > this.state.balance) return { status: 'insufficient_funds', balance: this.state.balance };
    this.state.balance -= amount;
    this.state.transactions.push({ type: 'withdraw', amount, balance_after: this.state.balance });
    return { status: 'ok', balance: this.state.balance };
  }

  /** Rebuilds the balance from the transaction log to check it against the balance kept. */
  onReplay() {
    const rebuilt = this.state.transactions.reduce((sum, tx) => sum + (tx.type === 'deposit' ? tx.amount : -tx.amount), 0);
    return { replayed: this.state.transactions.length, rebuilt_balance: rebuilt, current_balance: this.state.balance, consistent: rebuilt === this.state.balance };
  }
}
