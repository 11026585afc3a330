Process.pid
