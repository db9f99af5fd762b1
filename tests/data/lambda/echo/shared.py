WHO = "echo"
