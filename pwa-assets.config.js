// The icons every platform asks for, from one source image (scripts/icons.js runs this before
// each build): PWA 64/192/512, maskable 512 and Apple touch 180 on the theme colour, favicon.ico.
import { defineConfig, minimal2023Preset } from '@vite-pwa/assets-generator/config';

const background = '#1a1b26';

export default defineConfig({
	headLinkOptions: { preset: '2023' },
	preset: {
		...minimal2023Preset,
		maskable: { ...minimal2023Preset.maskable, resizeOptions: { background } },
		apple: { ...minimal2023Preset.apple, resizeOptions: { background } }
	},
	images: ['static/icons/icon.svg']
});
