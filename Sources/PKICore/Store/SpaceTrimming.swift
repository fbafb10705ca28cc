extension StringProtocol {
    /// The text without leading and trailing spaces and tabs (Unicode white space other than line breaks, as
    /// Foundation's `.whitespaces`), in plain Swift: Foundation's character sets cost a short-lived command a
    /// noticeable share of its start-up.
    public var trimmingSpaces: SubSequence {
        let isSpace = { (character: Character) in character.isWhitespace && !character.isNewline }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else {
            return self[endIndex...]
        }
        return self[first...last]
    }
}
