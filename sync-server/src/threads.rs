//! The server's background threads (reports, the dev server's search index) run at a lower
//! CPU priority than the threads that answer members: on a 2-core machine their work must not
//! take a core from a page or an event batch.

/// Gives the calling thread (and the threads it starts after) the nice value `nice` (10 for
/// reports, 19 for the search index: the last to get a core).
pub fn lower_priority(nice: i32) -> std::io::Result<()> {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: plain system calls on the calling thread's own id; no memory is shared.
        let rc = unsafe {
            let tid = libc::syscall(libc::SYS_gettid) as libc::id_t;
            libc::setpriority(libc::PRIO_PROCESS, tid, nice)
        };
        if rc != 0 {
            return Err(std::io::Error::last_os_error());
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = nice;
    Ok(())
}
