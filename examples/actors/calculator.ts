/**
 * The calculator actor from the PlexSpaces articles, written with the SDK.
 *
 *   npx plexspaces build examples/actors/calculator.ts -o calculator.wasm
 */
import { PlexSpacesActor } from 'plexspaces/sdk';

interface Operands {
  a: number;
  b: number;
}

export default class Calculator extends PlexSpacesActor<{ operations: number }> {
  getDefaultState() {
    return { operations: 0 };
  }

  onAdd({ a, b }: Operands) {
    this.state.operations++;
    return { result: a + b, operation: 'add' };
  }

  onSubtract({ a, b }: Operands) {
    this.state.operations++;
    return { result: a - b, operation: 'subtract' };
  }

  onMultiply({ a, b }: Operands) {
    this.state.operations++;
    return { result: a * b, operation: 'multiply' };
  }

  onDivide({ a, b }: Operands) {
    if (b === 0) return { error: 'Division by zero' };
    this.state.operations++;
    return { result: a / b, operation: 'divide' };
  }
}
