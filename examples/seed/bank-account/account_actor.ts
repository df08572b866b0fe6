/**
 * The first article's TypeScript bank account: deposits and withdrawals
 * answer the new balance, `history` the last transactions, and `replay`
 * rebuilds the balance from the transaction log (event sourcing).
 *
 *   plexspaces build examples/seed/bank-account/account_actor.ts -o account_actor.wasm
 */
import { PlexSpacesActor } from '@plexspaces/sdk';

interface Transaction {
  type: 'deposit' | 'withdraw';
  amount: number;
  balance_after: number;
}

interface BankAccountState {
  account_id: string;
  balance: number;
  transactions: Transaction[];
}

export class BankAccountActor extends PlexSpacesActor<BankAccountState> {
  getDefaultState(): BankAccountState {
    return { account_id: '', balance: 0, transactions: [] };
  }

  protected override onInit(config: Record<string, unknown>): void {
    this.state.account_id = String(config.account_id ?? '');
  }

  onDeposit(payload: Record<string, unknown>) {
    const amount = Number(payload.amount ?? 0);
    if (!(amount > 0)) return { error: 'invalid_amount' };
    this.state.balance += amount;
    this.state.transactions.push({ type: 'deposit', amount, balance_after: this.state.balance });
    return { status: 'ok', balance: this.state.balance };
  }

  onWithdraw(payload: Record<string, unknown>) {
    const amount = Number(payload.amount ?? 0);
    if (!(amount > 0)) return { error: 'invalid_amount' };
    if (amount > this.state.balance) return { error: 'insufficient_funds', balance: this.state.balance };
    this.state.balance -= amount;
    this.state.transactions.push({ type: 'withdraw', amount, balance_after: this.state.balance });
    return { status: 'ok', balance: this.state.balance };
  }

  /** The last `count` transactions (5 unless given), oldest first. */
  onHistory(payload: Record<string, unknown>) {
    const count = Math.min(Number(payload.count ?? 5), this.state.transactions.length);
    return { transactions: count > 0 ? this.state.transactions.slice(-count) : [] };
  }

  /** Rebuilds the balance from the log; it agrees with the balance kept alongside. */
  onReplay() {
    const rebuilt = this.state.transactions.reduce((sum, tx) => sum + (tx.type === 'deposit' ? tx.amount : -tx.amount), 0);
    return { replayed: this.state.transactions.length, rebuilt_balance: rebuilt, current_balance: this.state.balance };
  }
}

// The bridge the article writes by hand (plexspaces build writes the same one when it is absent).
const instance = new BankAccountActor();
export const actor = {
  init: (config: string) => instance.init(config),
  handle: (from: string, msgType: string, payload: string) => instance.handle(from, msgType, payload),
  getState: () => instance.getState(),
  setState: (state: string) => instance.setState(state),
};
