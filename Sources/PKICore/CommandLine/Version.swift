/// The version pkictl and pkid report (pkid's start-up line and `pkid_build_info`).
public enum PKIVersion {
    public static let current = "0.1.0"
}
