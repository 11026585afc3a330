-- A container's init in one line, as tini: the command given as
-- arguments runs in its own process group, gets every signal this
-- process gets, and every orphan is reaped; this process exits with the
-- command's status. Same as: brood --init -- command...
-- Try: brood init.lua sh -c 'sleep 1 & echo started; exit 3'
os.exit(require("brood.supervisor").init(arg))
