import { addressKey } from './client-address';

describe(addressKey.name, () => {
  it.each([
    ['an IPv4 address as it is', '203.0.113.7', '203.0.113.7'],
    ['an IPv4-mapped IPv6 address as its IPv4 address', '::ffff:203.0.113.7', '203.0.113.7'],
    ['an IPv4-mapped address in capitals alike', '::FFFF:203.0.113.7', '203.0.113.7'],
    ['an IPv6 address by its /64', '2001:db8:1:2:3:4:5:6', '2001:db8:1:2::/64'],
    ['a compressed IPv6 address by its /64', '2001:db8::1', '2001:db8:0:0::/64'],
    ['leading zeros and capitals away', '2001:0DB8:0001:0002::ABCD', '2001:db8:1:2::/64'],
    ['a compression inside the /64', '2001:db8::2:0:0:0:1', '2001:db8:0:2::/64'],
    ['a zone index away', 'fe80::1%eth0', 'fe80:0:0:0::/64'],
    ['an IPv4-compatible tail within the groups', '64:ff9b::203.0.113.7', '64:ff9b:0:0::/64'],
    ['loopback ::1 by its /64', '::1', '0:0:0:0::/64'],
  ])('keys %s', (_, ip, key) => {
    expect(addressKey(ip)).toBe(key);
  });

  it('gives every address of one /64 the same key, and the next /64 another', () => {
    const keys = new Set(
      ['2001:db8:a:b::1', '2001:db8:a:b:ffff:ffff:ffff:ffff', '2001:db8:a:b:1234::'].map(
        addressKey,
      ),
    );

    expect(keys).toEqual(new Set(['2001:db8:a:b::/64']));
    expect(addressKey('2001:db8:a:c::1')).not.toBe('2001:db8:a:b::/64');
  });

  it.each([null, undefined, '', 'not an address', '300.1.1.1'])('keys %p as unknown', (ip) => {
    expect(addressKey(ip)).toBe('unknown');
  });
});
