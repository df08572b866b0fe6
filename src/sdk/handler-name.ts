/** `deposit` → `onDeposit`, `deposit-funds` / `deposit_funds` → `onDepositFunds`, `Balance` → `onBalance`. */
export function handlerName(msgType: string): string {
  return (
    'on' +
    msgType
      .split(/[-_\s]+/)
      .filter(Boolean)
      .map((word) => word[0].toUpperCase() + word.slice(1))
      .join('')
  );
}
