//! Starting the system: the Linux server from boot module 2, with the
//! initrd (module 3) and the kernel command line.

use l4::println;

pub fn start_system() {
    let kip = l4::kip::kip();
    if kip.modules().count() < 3 {
        println!("roottask: no server module; nothing to start");
        l4::sys::kdebug_exit(1);
    }
    println!("roottask: the Linux server is not built yet");
    l4::sys::kdebug_exit(1);
}
