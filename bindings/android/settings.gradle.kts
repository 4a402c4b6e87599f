// The danvan core as an Android library (AAR): see build.gradle.kts and bindings/README.md,
// "Packages". Needs Gradle 8.9 or later, the Android SDK (compileSdk 35), the NDK, Rust with the
// Android targets and cargo-ndk. Not built on the project's CI machines (no Gradle, no Android
// SDK there); bindings/tests/packaging.rs checks these files against the generated code.

pluginManagement {
    repositories {
        google()
        mavenCentral()
        gradlePluginPortal()
    }
    plugins {
        id("com.android.library") version "8.7.3"
        // The Kotlin the JVM tests compile the bindings with (scripts/kotlin-version).
        id("org.jetbrains.kotlin.android") version "2.4.20"
    }
}

dependencyResolutionManagement {
    repositoriesMode.set(RepositoriesMode.FAIL_ON_PROJECT_REPOS)
    repositories {
        google()
        mavenCentral()
    }
}

rootProject.name = "danvan-core-android"
