// The browser half of passkeys (the one owner of @simplewebauthn/browser): run a ceremony with the
// options the server made and hand back its JSON response.
import {
	browserSupportsWebAuthn,
	startAuthentication,
	startRegistration
} from '@simplewebauthn/browser';
import type {
	PublicKeyCredentialCreationOptionsJSON,
	PublicKeyCredentialRequestOptionsJSON
} from '@simplewebauthn/browser';

export const passkeysSupported = () => browserSupportsWebAuthn();

export function createPasskey(options: PublicKeyCredentialCreationOptionsJSON) {
	return startRegistration({ optionsJSON: options });
}

export function usePasskey(options: PublicKeyCredentialRequestOptionsJSON) {
	return startAuthentication({ optionsJSON: options });
}
