/** From this share of a monthly budget the user is warned in the chat. */
export const BUDGET_WARNING_PERCENT = 80;
