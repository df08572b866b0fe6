/**
 * The calculator actor from the PlexSpaces articles, written with the SDK,
 * kept small for the runtime benchmark; the articles' full calculator (with
 * its history and state) is examples/seed/calculator.
 *
 *   npx plexspaces build examples/actors/calculator.ts -o calculator.wasm
 */
import { PlexSpacesActor } from 'plexspaces/sdk';

/** The articles' payload: `{"operands": [10, 20, 30]}`. */
interface Operands {
  operands: number[];
}

export default class Calculator extends PlexSpacesActor<{ operations: number }> {
  getDefaultState() {
    return { operations: 0 };
  }

  onAdd({ operands }: Operands) {
    this.state.operations++;
    return { result: operands.reduce((sum, x) => sum + x, 0), operation: 'add' };
  }

  onSubtract({ operands }: Operands) {
    if (operands.length < 2) return { error: 'Subtract requires at least 2 operands' };
    this.state.operations++;
    return { result: operands.slice(1).reduce((rest, x) => rest - x, operands[0]), operation: 'subtract' };
  }

  onMultiply({ operands }: Operands) {
    this.state.operations++;
    return { result: operands.reduce((product, x) => product * x, 1), operation: 'multiply' };
  }

  onDivide({ operands }: Operands) {
    if (operands.length < 2) return { error: 'Divide requires 2 operands' };
    if (operands[1] === 0) return { error: 'Division by zero' };
    this.state.operations++;
    return { result: operands[0] / operands[1], operation: 'divide' };
  }
}
