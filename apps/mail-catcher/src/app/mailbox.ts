import type { CaughtMail } from './caught-mail';

/** How many mails the catcher keeps; the oldest go first. */
export const MAILBOX_LIMIT = 500;

/** The caught mails, in memory only: a development tool's inbox, gone with the process. */
export class Mailbox {
  private readonly mails: CaughtMail[] = [];

  constructor(private readonly limit = MAILBOX_LIMIT) {}

  add(mail: CaughtMail): void {
    this.mails.push(mail);
    if (this.mails.length > this.limit) this.mails.splice(0, this.mails.length - this.limit);
  }

  /** Newest first; with `to`, only the mails one of whose recipients is that address (any case). */
  list(to?: string): CaughtMail[] {
    const wanted = to?.trim().toLowerCase();
    const newestFirst = [...this.mails].reverse();
    return wanted === undefined || wanted === ''
      ? newestFirst
      : newestFirst.filter((mail) => mail.to.some((address) => address.toLowerCase() === wanted));
  }

  find(id: string): CaughtMail | null {
    return this.mails.find((mail) => mail.id === id) ?? null;
  }

  clear(): void {
    this.mails.length = 0;
  }
}
