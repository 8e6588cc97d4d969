/** A textarea as tall as its text, up to its CSS max-height (then it scrolls). */
export function fitToText(box: HTMLTextAreaElement) {
	box.style.height = 'auto';
	box.style.height = `${box.scrollHeight + box.offsetHeight - box.clientHeight}px`;
}
