package dev.fhirhook.bot.runtime;

/** Why code does not parse, with a 1-based position, for the deploy's 400 reply. */
public record SyntaxProblem(int line, int column, String message) {}
