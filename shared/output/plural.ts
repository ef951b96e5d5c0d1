// Counts in messages read as English: "1 pod", "3 pods", never "(1 pods)".

/** A count with its noun in the right number; `plural` for nouns that do not just take an 's'. */
export function counted(n: number, noun: string, plural = `${noun}s`): string {
  return `${n} ${n === 1 ? noun : plural}`;
}

/** The noun alone, in the number `n` asks for ("2 of 1 pod" reads wrong: the noun goes with the total). */
export function nounFor(n: number, noun: string, plural = `${noun}s`): string {
  return n === 1 ? noun : plural;
}
