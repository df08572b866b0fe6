/**
 * A durable bank account (the seed's example), written with the SDK.
 * Deposits and withdrawals carry a transaction id (`tx`), which the
 * account keeps in its history, so a client that lost a reply can ask
 * `has` whether its transaction went through instead of sending it twice.
 *
 *   npx plexspaces build examples/bank/bank-account.ts -o bank_account.wasm
 */
import { PlexSpacesActor } from 'plexspaces/sdk';

interface Entry {
  tx: string;
  amount: number;
}

interface Account {
  owner: string;
  balance: number;
  history: Entry[];
}

export default class BankAccount extends PlexSpacesActor<Account> {
  getDefaultState(): Account {
    return { owner: '', balance: 0, history: [] };
  }

  override onInit(config: { owner?: string }): void {
    this.state.owner = config.owner ?? this.host.selfId();
  }

  onDeposit({ tx, amount }: { tx: string; amount: number }) {
    if (typeof tx !== 'string' || tx === '') throw new Error('a deposit needs a transaction id (tx)');
    if (!(amount > 0)) throw new Error('a deposit must be positive');
    this.state.balance += amount;
    this.state.history.push({ tx, amount });
    return { balance: this.state.balance };
  }

  onWithdraw({ tx, amount }: { tx: string; amount: number }) {
    if (typeof tx !== 'string' || tx === '') throw new Error('a withdrawal needs a transaction id (tx)');
    if (!(amount > 0)) throw new Error('a withdrawal must be positive');
    if (amount > this.state.balance) throw new Error('insufficient funds');
    this.state.balance -= amount;
    this.state.history.push({ tx, amount: -amount });
    return { balance: this.state.balance };
  }

  onBalance() {
    return { owner: this.state.owner, balance: this.state.balance, transactions: this.state.history.length };
  }

  onHas({ tx }: { tx: string }) {
    return { tx, applied: this.state.history.some((e) => e.tx === tx) };
  }

  onHistory() {
    return { history: this.state.history };
  }
}
