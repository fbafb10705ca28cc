/// The version `pkictl --version` and `pkid --version` print, and the metrics' build info carries.
///
/// The literal below is the fallback a plain `swift build` uses. scripts/build-release.sh replaces it with the
/// `git describe` of the tree it builds (and puts it back afterwards), so a release binary names its commit.
public enum ReleaseVersion {
    public static let current = "0.1.0-dev"
}
