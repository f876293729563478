import type { CaughtMail } from './caught-mail';
import { Mailbox } from './mailbox';

const mail = (id: string, to: string[] = ['a@x.test']): CaughtMail => ({
  id,
  from: 'f@x.test',
  to,
  subject: id,
  text: '',
  html: null,
  receivedAt: new Date(0).toISOString(),
  links: [],
});

describe(Mailbox.name, () => {
  it('lists the newest mail first', () => {
    const box = new Mailbox();
    box.add(mail('1'));
    box.add(mail('2'));
    expect(box.list().map(({ id }) => id)).toEqual(['2', '1']);
  });

  it('filters by recipient, ignoring case', () => {
    const box = new Mailbox();
    box.add(mail('1', ['Ada@Example.test']));
    box.add(mail('2', ['bob@example.test']));
    expect(box.list('ada@example.TEST').map(({ id }) => id)).toEqual(['1']);
  });

  it('drops the oldest mail beyond its limit', () => {
    const box = new Mailbox(2);
    for (const id of ['1', '2', '3']) box.add(mail(id));
    expect(box.list().map(({ id }) => id)).toEqual(['3', '2']);
    expect(box.find('1')).toBeNull();
  });

  it('finds by id and forgets everything on clear', () => {
    const box = new Mailbox();
    box.add(mail('1'));
    expect(box.find('1')?.id).toBe('1');
    box.clear();
    expect(box.list()).toEqual([]);
  });
});
