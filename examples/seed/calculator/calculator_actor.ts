/**
 * The first article's calculator (calculator_actor.py), in TypeScript: every
 * operation takes `{"operands": [...]}` and answers `{"result", "operation"}`;
 * the last result and a history of every calculation are the actor's state.
 *
 *   plexspaces build examples/seed/calculator/calculator_actor.ts -o calculator_actor.wasm
 */
import { PlexSpacesActor } from '@plexspaces/sdk';

interface Calculation {
  operation: string;
  operands: number[];
  result: number;
}

interface CalculatorState {
  last_operation: string | null;
  last_result: number | null;
  history: Calculation[];
}

interface Operands {
  operands?: number[];
}

export class Calculator extends PlexSpacesActor<CalculatorState> {
  getDefaultState(): CalculatorState {
    return { last_operation: null, last_result: null, history: [] };
  }

  /** A spawn config may carry a saved state (`{"state": {...}}`), as the Python actor's on_init reads it. */
  protected override onInit(config: { state?: Partial<CalculatorState> }): void {
    const saved = config.state;
    if (saved === undefined) return;
    this.state.last_operation = saved.last_operation ?? null;
    this.state.last_result = saved.last_result ?? null;
    this.state.history = saved.history ?? [];
  }

  onAdd({ operands = [] }: Operands) {
    return this.record('add', operands, operands.reduce((sum, x) => sum + x, 0));
  }

  onSubtract({ operands = [] }: Operands) {
    if (operands.length < 2) return { error: 'Subtract requires at least 2 operands' };
    return this.record('subtract', operands, operands.slice(1).reduce((rest, x) => rest - x, operands[0]));
  }

  onMultiply({ operands = [] }: Operands) {
    return this.record('multiply', operands, operands.reduce((product, x) => product * x, 1));
  }

  onDivide({ operands = [] }: Operands) {
    if (operands.length < 2) return { error: 'Divide requires 2 operands' };
    if (operands[1] === 0) return { error: 'Division by zero' };
    return this.record('divide', operands, operands[0] / operands[1]);
  }

  onGetHistory() {
    return { history: this.state.history };
  }

  /** `get_state` (and `call`, its other name in the article): the state as a reply. */
  onGetState() {
    return { ...this.state };
  }

  onCall() {
    return this.onGetState();
  }

  private record(operation: string, operands: number[], result: number) {
    this.state.last_operation = operation;
    this.state.last_result = result;
    this.state.history.push({ operation, operands, result });
    return { result, operation };
  }
}
