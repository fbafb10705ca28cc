/// A strict reader of DER's tag-length-value elements, for the few structures pkictl reads without OpenSSL: a
/// CA certificate's subject, key and constraints, and SEC1 and PKCS#1 private keys. Only what DER allows is
/// accepted (one-byte tags, definite and minimal lengths); anything else is `Malformed`, and the callers then
/// hand the input to OpenSSL's general decoders, which either read it or name the problem.
struct DERReader {
    struct Malformed: Error {}

    /// One element: its tag, and where its contents and its whole encoding lie in the reader's bytes.
    struct Element {
        let tag: UInt8
        let contents: Range<Int>
        let encoding: Range<Int>
    }

    let bytes: [UInt8]
    private var position: Int
    private let end: Int

    init(_ bytes: [UInt8]) {
        self.init(bytes, within: 0..<bytes.count)
    }

    private init(_ bytes: [UInt8], within range: Range<Int>) {
        self.bytes = bytes
        position = range.lowerBound
        end = range.upperBound
    }

    /// A reader over the contents of `der`, which must be one SEQUENCE and nothing after it (a key, a certificate).
    static func insideSequence(_ der: [UInt8]) throws(Malformed) -> DERReader {
        var outer = DERReader(der)
        let sequence = try outer.read(DER.sequenceTag)
        try outer.finish()
        return outer.reader(inside: sequence)
    }

    var isAtEnd: Bool { position == end }

    /// The next element's tag, without reading it.
    var nextTag: UInt8? { isAtEnd ? nil : bytes[position] }

    /// The next element, whatever its tag.
    mutating func read() throws(Malformed) -> Element {
        let start = position
        guard end - position >= 2 else { throw Malformed() }
        let tag = bytes[position]
        // High tag numbers (0x1f) never occur in the structures read here.
        guard tag & 0x1f != 0x1f else { throw Malformed() }
        var length = Int(bytes[position + 1])
        position += 2
        if length & 0x80 != 0 {
            let count = length & 0x7f
            // 0x80 is BER's indefinite length; more than four length bytes is no key or certificate.
            guard count >= 1, count <= 4, end - position >= count, bytes[position] != 0 else { throw Malformed() }
            length = 0
            for byte in bytes[position..<position + count] { length = length << 8 | Int(byte) }
            position += count
            guard length >= 0x80 else { throw Malformed() }
        }
        guard end - position >= length else { throw Malformed() }
        let contents = position..<position + length
        position += length
        return Element(tag: tag, contents: contents, encoding: start..<position)
    }

    /// The next element, which must carry `tag`.
    mutating func read(_ tag: UInt8) throws(Malformed) -> Element {
        let element = try read()
        guard element.tag == tag else { throw Malformed() }
        return element
    }

    /// The next element when it carries `tag` (an OPTIONAL or DEFAULT field), else nil and nothing read.
    mutating func readIfPresent(_ tag: UInt8) throws(Malformed) -> Element? {
        nextTag == tag ? try read() : nil
    }

    /// A reader over a constructed element's contents.
    func reader(inside element: Element) -> DERReader {
        DERReader(bytes, within: element.contents)
    }

    /// Fails unless every byte has been read: trailing data is damage, not padding.
    func finish() throws(Malformed) {
        guard isAtEnd else { throw Malformed() }
    }

    func contents(of element: Element) -> ArraySlice<UInt8> { bytes[element.contents] }
    func encoding(of element: Element) -> ArraySlice<UInt8> { bytes[element.encoding] }

    /// A non-negative INTEGER's magnitude, big-endian without the sign byte; negative or non-minimal is malformed.
    mutating func readUnsignedInteger() throws(Malformed) -> ArraySlice<UInt8> {
        let element = try read(DER.integerTag)
        var magnitude = bytes[element.contents]
        guard let first = magnitude.first, first & 0x80 == 0 else { throw Malformed() }
        if first == 0, magnitude.count > 1 {
            guard magnitude[magnitude.startIndex + 1] & 0x80 != 0 else { throw Malformed() }
            magnitude = magnitude.dropFirst()
        }
        return magnitude
    }

    /// A BOOLEAN: DER allows only 0x00 and 0xff.
    mutating func readBoolean() throws(Malformed) -> Bool {
        let element = try read(DER.booleanTag)
        guard element.contents.count == 1 else { throw Malformed() }
        switch bytes[element.contents.lowerBound] {
        case 0x00: return false
        case 0xff: return true
        default: throw Malformed()
        }
    }

    /// A BIT STRING with no unused bits (a key or a signature), as its bytes.
    mutating func readOctetAlignedBitString() throws(Malformed) -> ArraySlice<UInt8> {
        let element = try read(DER.bitStringTag)
        guard let unused = bytes[element.contents].first, unused == 0 else { throw Malformed() }
        return bytes[element.contents].dropFirst()
    }
}
