"""Amazon Lex V2, text only (`lexv2-models` and `lexv2-runtime`, both signing as "lex"):
bots, locales, intents, slots and slot types built into a snapshot a deterministic
classifier and dialog machine run, with Lambda code hooks; and the same classifier behind
`gureum alexa ask`."""
