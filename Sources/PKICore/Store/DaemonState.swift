import Foundation
import GRDB
import PKICrypto

/// The last renewal attempt pkid made for one catalogue name.
public struct RenewalAttempt: Sendable, Equatable {
    public let name: String
    public let at: Date
    /// Consecutive failures; 0 after a success.
    public let failures: Int
    public let error: String?

    public init(name: String, at: Date, failures: Int, error: String?) {
        self.name = name
        self.at = Date(inventorySeconds: at.inventorySeconds)
        self.failures = failures
        self.error = error
    }
}

/// A component whose certificates changed but which has not yet come back healthy after a restart.
public struct PendingRestart: Sendable, Equatable {
    public let component: String
    public let since: Date
    public let failures: Int
    public let lastAttempt: Date?
}

/// A static pod manifest moved out of the manifests dir to make the kubelet stop the pod.
public struct HeldManifest: Sendable, Equatable {
    public let component: String
    public let manifestPath: String
    public let heldPath: String
    public let heldAt: Date

    public init(component: String, manifestPath: String, heldPath: String, heldAt: Date) {
        self.component = component
        self.manifestPath = manifestPath
        self.heldPath = heldPath
        self.heldAt = Date(inventorySeconds: heldAt.inventorySeconds)
    }
}

/// pkid's memory across restarts, kept in the inventory database (schema v2).
extension Inventory {
    public func renewalAttempts() throws -> [String: RenewalAttempt] {
        try read { db in
            var attempts: [String: RenewalAttempt] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT name, at, failures, error FROM renewal_attempt") {
                let attempt = RenewalAttempt(name: try row.decode(forColumn: "name"), at: Date(inventorySeconds: try row.decode(forColumn: "at")),
                                             failures: try row.decode(forColumn: "failures"), error: try row.decode(forColumn: "error"))
                attempts[attempt.name] = attempt
            }
            return attempts
        }
    }

    public func record(_ attempt: RenewalAttempt) throws {
        try write { db in
            try db.execute(sql: "INSERT OR REPLACE INTO renewal_attempt (name, at, failures, error) VALUES (?, ?, ?, ?)",
                           arguments: [attempt.name, attempt.at.inventorySeconds, attempt.failures, attempt.error])
        }
    }

    public func pendingRestarts() throws -> [PendingRestart] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT component, since, failures, last_attempt FROM pending_restart").map { row in
                let lastAttempt: Int64? = try row.decode(forColumn: "last_attempt")
                return PendingRestart(component: try row.decode(forColumn: "component"), since: Date(inventorySeconds: try row.decode(forColumn: "since")),
                                      failures: try row.decode(forColumn: "failures"), lastAttempt: lastAttempt.map(Date.init(inventorySeconds:)))
            }
        }
    }

    /// Marks components as owing a restart; one already pending keeps its original `since`.
    public func addPendingRestarts(_ components: [String], at date: Date) throws {
        try write { db in
            for component in components {
                try db.execute(sql: "INSERT OR IGNORE INTO pending_restart (component, since, failures) VALUES (?, ?, 0)",
                               arguments: [component, date.inventorySeconds])
            }
        }
    }

    public func completeRestart(_ component: String) throws {
        try write { db in try db.execute(sql: "DELETE FROM pending_restart WHERE component = ?", arguments: [component]) }
    }

    public func failRestart(_ component: String, at date: Date) throws {
        try write { db in
            try db.execute(sql: "UPDATE pending_restart SET failures = failures + 1, last_attempt = ? WHERE component = ?",
                           arguments: [date.inventorySeconds, component])
        }
    }

    public func heldManifests() throws -> [HeldManifest] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT component, manifest_path, held_path, held_at FROM held_manifest").map { row in
                HeldManifest(component: try row.decode(forColumn: "component"), manifestPath: try row.decode(forColumn: "manifest_path"),
                             heldPath: try row.decode(forColumn: "held_path"), heldAt: Date(inventorySeconds: try row.decode(forColumn: "held_at")))
            }
        }
    }

    public func recordHeld(_ held: HeldManifest) throws {
        try write { db in
            try db.execute(sql: "INSERT OR REPLACE INTO held_manifest (component, manifest_path, held_path, held_at) VALUES (?, ?, ?, ?)",
                           arguments: [held.component, held.manifestPath, held.heldPath, held.heldAt.inventorySeconds])
        }
    }

    public func releaseHeld(_ component: String) throws {
        try write { db in try db.execute(sql: "DELETE FROM held_manifest WHERE component = ?", arguments: [component]) }
    }
}
