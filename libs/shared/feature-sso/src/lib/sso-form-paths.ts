import type { RelyingParty } from '@svt/shared/util-config';

/** The routes of a relying party that take form bodies: AUTH's logout tokens, and the sign-out form. */
export function ssoFormPaths(party: RelyingParty): readonly string[] {
  return [party.backchannelLogoutPath, party.logoutPath];
}
