WHO = "other"
