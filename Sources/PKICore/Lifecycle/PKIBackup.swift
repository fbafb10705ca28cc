import Foundation
import PKICatalogue
import PKICrypto
import PKIStore

/// The copies a writer keeps before replacing files: a timestamped folder (a numbered sibling when it exists)
/// assembled hidden and renamed whole, so a kill never leaves half a backup. Paths below the cert dir keep their
/// relative place; others keep their file name.
enum PKIBackup {
    static func write(_ files: [StoredFile], into directory: String, certificatesDir: String) throws -> String {
        var target = directory
        var attempt = 1
        while FileManager.default.fileExists(atPath: target) || AtomicFile.isSymbolicLink(target) {
            attempt += 1
            target = "\(directory)-\(attempt)"
        }
        let parent = URL(fileURLWithPath: target).deletingLastPathComponent().path
        try AtomicFile.refuseSymbolicLink(parent, choose: "--backup-dir")
        try AtomicFile.createDirectory(parent)
        AtomicFile.removePartialDirectories(in: parent)
        let staging = AtomicFile.partialDirectory(for: target)
        try AtomicFile.createDirectory(staging)
        let certRoot = URL(fileURLWithPath: certificatesDir).standardizedFileURL.path + "/"
        for file in files {
            guard let data = try PKIDirectory.read(file.path) else { continue }
            let standardized = URL(fileURLWithPath: file.path).standardizedFileURL.path
            let relative = standardized.hasPrefix(certRoot) ? String(standardized.dropFirst(certRoot.count)) : URL(fileURLWithPath: file.path).lastPathComponent
            let destination = "\(staging)/\(relative)"
            try AtomicFile.createDirectory(URL(fileURLWithPath: destination).deletingLastPathComponent().path)
            try AtomicFile.write(data, to: destination, mode: file.kind.mode)
        }
        try AtomicFile.publishDirectory(staging, as: target)
        return target
    }
}
