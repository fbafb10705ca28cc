import Foundation
#if canImport(Glibc)
import Glibc
#endif
import PKICatalogue
import PKICrypto
import PKILifecycle
import PKIStore

/// Hands back, while pkid sleeps, the memory a pass or start-up touched but an idle daemon does not need.
///
/// Most of an idle pkid's resident set is clean, file-backed code and data of its own binary and of the Swift
/// runtime, Foundation and ICU, mapped in large batches by the kernel's fault-around when first used. Those pages cost
/// nothing to drop (they are re-read from the page cache on the next pass, once per check interval), so after
/// each pass pkid advises the kernel to reclaim them (MADV_PAGEOUT). Heap and stacks are left as they are.
enum IdleMemory {
    /// MADV_PAGEOUT (Linux 5.4); older kernels reject it with EINVAL and nothing changes.
    private static let pageOut: Int32 = 21

    static func release() {
        guard let maps = try? String(contentsOfFile: "/proc/self/maps", encoding: .utf8) else { return }
        for line in maps.split(separator: "\n") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            // address perms offset dev inode path: private mappings of files, writable ones included. A writable
            // mapping's untouched pages (most of the binary's data and relocated metadata) are clean file pages
            // like its code; the few it has written are anonymous and stay unless the host has swap.
            guard fields.count >= 6, fields[5].hasPrefix("/"), fields[1].hasSuffix("p") else { continue }
            let range = fields[0].split(separator: "-")
            guard range.count == 2, let start = UInt(range[0], radix: 16), let end = UInt(range[1], radix: 16), end > start,
                  let address = UnsafeMutableRawPointer(bitPattern: start) else { continue }
            _ = madvise(address, Int(end - start), pageOut)
        }
    }
}
