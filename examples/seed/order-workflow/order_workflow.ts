/**
 * The first article's durable order workflow (OrderWorkflow, Python there),
 * in TypeScript with the SDK's WorkflowActor: `run` starts it, and its three
 * steps — validation, payment, shipment — run one per message, so the
 * `cancel` signal and the read-only `status` query are answered between
 * steps while it runs. With the durability facet (app-config.toml) every
 * step and signal is journaled: after a crash it resumes where it stopped.
 *
 * Not in the article: `step_delay_ms` in the run's input spaces the steps
 * out (0 unless given), standing in for a payment or a shipment that takes
 * a while — long enough for a signal to arrive first.
 *
 *   plexspaces build examples/seed/order-workflow/order_workflow.ts -o order_workflow.wasm
 */
import { WorkflowActor } from '@plexspaces/sdk';

interface Order {
  order_id: string;
  status: string;
  steps_completed: string[];
  step_delay_ms: number;
}

export class OrderWorkflow extends WorkflowActor<Order> {
  readonly steps = ['validate', 'charge', 'ship'];

  override readonly signals = {
    /** External signals can alter the workflow: a cancelled order runs no further step. */
    cancel: (data: Order) => {
      data.status = 'cancelled';
      this.cancelWorkflow();
    },
  };

  override readonly queries = {
    status: (data: Order) => ({ order_id: data.order_id, status: data.status, steps: data.steps_completed }),
  };

  initialData(): Order {
    return { order_id: '', status: 'pending', steps_completed: [], step_delay_ms: 0 };
  }

  override onStart(input: { order_id?: string; step_delay_ms?: number }, data: Order): void {
    if (typeof input.order_id !== 'string' || input.order_id === '') throw new Error('run needs an order_id');
    const delay = input.step_delay_ms ?? 0;
    if (!Number.isSafeInteger(delay) || delay < 0) throw new Error(`step_delay_ms must be whole milliseconds ≥ 0, got ${JSON.stringify(delay)}`);
    data.order_id = input.order_id;
    data.step_delay_ms = delay;
    data.status = 'validating';
  }

  /** The first step starts at once; each later one waits `step_delay_ms`. */
  override delayBeforeStep(data: Order, step: number): number {
    return step === 0 ? 0 : data.step_delay_ms;
  }

  validate(data: Order): void {
    data.steps_completed.push('validation');
    data.status = 'charging';
  }

  charge(data: Order): void {
    data.steps_completed.push('payment');
    data.status = 'shipping';
  }

  ship(data: Order): void {
    data.steps_completed.push('shipment');
    data.status = 'completed';
  }
}
