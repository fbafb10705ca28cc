/// Finds the first place in a YAML text where an alias (`*name`) may stand, without parsing the text, by a rule
/// that cannot miss one.
///
/// Why not parse first: a few hundred bytes of nested aliases expand to billions of nodes. Yams' compose shares an
/// aliased subtree instead of copying it, but its duplicate-key check hashes mapping keys deeply (an alias used as
/// a key costs its whole expansion, in compose itself), and turning the tree into values or Codable types walks
/// every shared subtree again. So the text is checked before Yams sees it, and aliases are refused outright: no
/// file pkictl or pkid reads needs one (kubeadm, kubectl and client-go write none).
///
/// The rule: libyaml makes an alias token only where a node may begin, and such a place is preceded on its own line
/// by nothing but blanks and at most one token: the document start `---`, a block entry `-`, an explicit key `?`,
/// a value `:`, a flow entry `,`, or the `[` or `{` opening a flow collection. After anything else (a tag, an
/// anchor, a scalar, `]`, `}`, `...`, another alias) an alias is a syntax error: libyaml stops at it and no alias
/// node is ever built. Hence every `*` whose nearest non-blank predecessor on its line is nothing or one of
/// `- ? : , [ {` is reported. Quotes, comments and block scalars are deliberately not tracked, because a scanner
/// that misjudged where one ends could skip a real alias; the price is a false alarm for such a `*` inside quoted
/// text, a comment or a block scalar (`"a, *b"`), which the refusal message tells how to avoid. Lines end where
/// libyaml ends them (LF, CR, CRLF, NEL, LS, PS); blanks are space, tab and the byte order mark.
enum YAMLAliasScan {
    struct Alias: Equatable {
        /// The alias as written, `*` and name (the name cut at 40 characters).
        let token: String
        let line: Int
        let column: Int
    }

    static func firstAlias(in text: String) -> Alias? {
        let scalars = Array(text.unicodeScalars)
        var line = 1
        var column = 0
        var previous: Unicode.Scalar?
        var afterCarriageReturn = false
        for (index, scalar) in scalars.enumerated() {
            if isLineBreak(scalar) {
                if !(scalar == "\n" && afterCarriageReturn) { line += 1 }
                afterCarriageReturn = scalar == "\r"
                column = 0
                previous = nil
                continue
            }
            afterCarriageReturn = false
            column += 1
            if isBlank(scalar) { continue }
            if scalar == "*", previous.map(opensNode) ?? true {
                return Alias(token: token(in: scalars, at: index), line: line, column: column)
            }
            previous = scalar
        }
        return nil
    }

    /// The tokens after which a node, and so an alias, may begin on the same line.
    private static func opensNode(_ scalar: Unicode.Scalar) -> Bool {
        "-?:,[{".unicodeScalars.contains(scalar)
    }

    private static func isLineBreak(_ scalar: Unicode.Scalar) -> Bool {
        ["\n", "\r", "\u{85}", "\u{2028}", "\u{2029}"].contains(scalar)
    }

    private static func isBlank(_ scalar: Unicode.Scalar) -> Bool {
        scalar == " " || scalar == "\t" || scalar == "\u{FEFF}"
    }

    /// `*` and the anchor-name characters libyaml reads after it.
    private static func token(in scalars: [Unicode.Scalar], at index: Int) -> String {
        var token = "*"
        for scalar in scalars[(index + 1)...].prefix(40) {
            guard scalar.isASCII, scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || scalar == "-" || scalar == "_" else { break }
            token.unicodeScalars.append(scalar)
        }
        return token
    }
}
