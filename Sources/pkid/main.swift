print("pkid: the renewal daemon is not built yet; use pkictl")
