//! Writes a fresh Ed25519 key pair as `private.pem` and `public.pem` into the given folder
//! (for benchmarks and for running a single function binary by hand).

fn main() -> anyhow::Result<()> {
    let dir = std::env::args()
        .nth(1)
        .ok_or_else(|| anyhow::anyhow!("usage: dev-keys <folder>"))?;
    let pair = shared::dev_keys::generate()?;
    std::fs::create_dir_all(&dir)?;
    std::fs::write(format!("{dir}/private.pem"), pair.private_pem)?;
    std::fs::write(format!("{dir}/public.pem"), pair.public_pem)?;
    println!("wrote {dir}/private.pem and {dir}/public.pem");
    Ok(())
}
